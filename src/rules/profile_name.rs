//! What keeps a Custom Profile's name honest: characters a customer can see ([`problems`]), and
//! a skeleton under which two names that look alike are equal ([`skeleton`]).
//!
//! The rules use it for the bot's own name (with `file:line:col`); the desk and the agents
//! registry use it when an agent is added, so no person can sign as the bot or as a colleague.

use super::limits::PROFILE_NAME_MAX;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// A kind of character that changes what a name shows without being seen itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// A C0 or C1 control character other than a line break, such as NUL.
    Control,
    /// A newline or any other line or paragraph separator.
    LineBreak,
    /// A bidirectional control: it can make a name read backwards.
    Bidi,
    /// A zero-width or otherwise invisible format character.
    Invisible,
}

/// One reason a profile name cannot be shown as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong {
        length: usize,
    },
    Hidden {
        kind: Hidden,
        found: char,
        /// 1-based, in characters, for people.
        position: usize,
        /// In bytes, for pointing into a file.
        offset: usize,
    },
}

impl fmt::Display for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hidden::Control => "a control character",
            Hidden::LineBreak => "a line break",
            Hidden::Bidi => "a bidirectional control",
            Hidden::Invisible => "an invisible character",
        })
    }
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("profile name must not be empty"),
            NameProblem::TooLong { length } => write!(
                f,
                "profile name is {length} characters; at most {PROFILE_NAME_MAX} are shown"
            ),
            NameProblem::Hidden {
                kind,
                found,
                position,
                ..
            } => write!(
                f,
                "profile name has {kind} (U+{:04X}) at character {position}; \
                 a name must show all it says",
                u32::from(*found)
            ),
        }
    }
}

/// Every problem with a name: emptiness, length, and the first character of each hidden kind.
pub fn problems(name: &str) -> Vec<NameProblem> {
    let mut found = Vec::new();
    if name.trim().is_empty() {
        found.push(NameProblem::Empty);
    }
    let length = name.chars().count();
    if length > PROFILE_NAME_MAX {
        found.push(NameProblem::TooLong { length });
    }
    let mut kinds = Vec::new();
    for (position, (offset, c)) in name.char_indices().enumerate() {
        if let Some(kind) = hidden(c).filter(|k| !kinds.contains(k)) {
            kinds.push(kind);
            found.push(NameProblem::Hidden {
                kind,
                found: c,
                position: position + 1,
                offset,
            });
        }
    }
    found
}

/// The kind of hidden character `c` is, if it is one.
pub fn hidden(c: char) -> Option<Hidden> {
    match c {
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
            Some(Hidden::LineBreak)
        }
        c if c.is_control() => Some(Hidden::Control),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}' => {
            Some(Hidden::Bidi)
        }
        '\u{00AD}' // soft hyphen
        | '\u{034F}' // combining grapheme joiner
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
        | '\u{17B4}' | '\u{17B5}' // Khmer inherent vowels
        | '\u{180E}' // Mongolian vowel separator
        | '\u{200B}'..='\u{200D}' // zero-width space, non-joiner, joiner
        | '\u{2060}'..='\u{2065}' // word joiner, invisible operators
        | '\u{206A}'..='\u{206F}' // deprecated format controls
        | '\u{FEFF}' // zero-width no-break space (byte order mark)
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
        | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
        | '\u{E0000}'..='\u{E007F}' // tags
        => Some(Hidden::Invisible),
        _ => None,
    }
}

/// What a name looks like to a customer, reduced so that look-alikes compare equal.
///
/// 1. Compatibility decomposition (NFKD: NFKC's mappings, so fullwidth `Ａ`, ligatures and
///    mathematical letters become plain ones) without the combining accents, so `é` reads `e`.
/// 2. Case folding; capitals whose small forms look different (Greek `Η`, Cyrillic `Н`) are
///    mapped by the table first.
/// 3. A table of common confusables mapped to ASCII: Cyrillic and Greek look-alikes of Latin
///    letters, and `0`/`o` and `1`/`l`/`i`/`I` as one letter each.
/// 4. Spacing, punctuation and invisible characters dropped; letters, digits and other symbols
///    (emoji) kept.
///
/// Deliberately stricter than Unicode's confusables data (`i` and `l` are one): a false match
/// only asks an admin for another name, a missed one lets a person pass for the bot.
pub fn skeleton(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.nfkd().filter(|&c| !is_mark(c)) {
        if let Some(ascii) = confusable(c) {
            out.push_str(ascii);
            continue;
        }
        for lower in c.to_lowercase() {
            match confusable(lower) {
                Some(ascii) => out.push_str(ascii),
                None if is_dropped(lower) => {}
                None => out.push(lower),
            }
        }
    }
    out
}

/// Combining marks (accents) and variation selectors: they change a letter's look only a little.
fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Spacing, punctuation and hidden characters: nothing a customer tells names apart by.
fn is_dropped(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || hidden(c).is_some()
        || matches!(c,
            '\u{A1}' | '\u{A7}' | '\u{AB}' | '\u{B6}' | '\u{B7}' | '\u{BB}' | '\u{BF}'
            | '\u{2010}'..='\u{2027}' // dashes, quotes, bullets, ellipsis
            | '\u{2030}'..='\u{205E}' // per mille, primes, more quotes and marks
            | '\u{3000}'..='\u{303F}' // CJK punctuation
            | '\u{FE10}'..='\u{FE1F}'
            | '\u{FE30}'..='\u{FE6F}')
}

/// The ASCII a look-alike stands for. Keys are small letters, except the capitals whose small
/// forms look different from them.
fn confusable(c: char) -> Option<&'static str> {
    Some(match c {
        // One letter each for the digit/letter pairs.
        '0' => "o",
        '1' | 'i' | 'ı' | 'ǀ' => "l",
        'ß' => "ss",
        'ɑ' => "a",
        'ɡ' => "g",
        'ȷ' => "j",
        // Greek capitals.
        'Β' => "b",
        'Ε' => "e",
        'Ζ' => "z",
        'Η' => "h",
        'Ι' => "l",
        'Κ' => "k",
        'Μ' => "m",
        'Ν' => "n",
        'Ρ' => "p",
        'Τ' => "t",
        'Υ' => "y",
        'Χ' => "x",
        // Greek small letters.
        'α' => "a",
        'β' => "b",
        'γ' => "y",
        'ε' => "e",
        'η' => "n",
        'ι' => "l",
        'κ' => "k",
        'μ' => "u",
        'ν' => "v",
        'ο' => "o",
        'ρ' => "p",
        'τ' => "t",
        'υ' => "u",
        'χ' => "x",
        'ω' => "w",
        // Cyrillic capitals.
        'В' => "b",
        'Н' => "h",
        'М' => "m",
        'Т' => "t",
        'І' | 'Ӏ' => "l",
        // Cyrillic small letters.
        'а' => "a",
        'в' => "b",
        'ь' => "b",
        'с' => "c",
        'ԁ' => "d",
        'е' => "e",
        'г' => "r",
        'һ' | 'н' => "h",
        'і' | 'ӏ' => "l",
        'ј' => "j",
        'к' => "k",
        'м' => "m",
        'п' => "n",
        'о' => "o",
        'р' => "p",
        'ԛ' => "q",
        'ѕ' => "s",
        'т' => "t",
        'у' => "y",
        'ԝ' => "w",
        'х' => "x",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_skeleton() {
        let same = [
            ("case", "Acme Assistant", "ACME assistant"),
            ("spacing", "Acme Assistant", "AcmeAssistant  "),
            (
                "punctuation",
                "Acme Assistant (bot)",
                "Acme-Assistant: bot!",
            ),
            ("accents", "José", "Jose"),
            ("fullwidth", "Acme", "Ａｃｍｅ"),
            ("ligature", "Office", "Oﬃce"),
            ("mathematical letters", "Acme", "𝐀𝐜𝐦𝐞"),
            ("Cyrillic small", "acme", "асmе"),
            ("Cyrillic capitals", "ACME HELP", "АСМЕ НЕLР"),
            ("Greek small", "ok", "οκ"),
            ("Greek capitals", "HEY", "ΗΕΥ"),
            ("digit zero", "Bob", "B0b"),
            ("digit one", "Alissa", "A1issa"),
            ("capital I for l", "Alissa", "AIissa"),
            ("dotless i", "Ali", "Alı"),
            ("sharp s", "Strasse", "Straße"),
            ("invisible", "Sam", "S\u{200B}am"),
            ("dashes", "Sam - Acme", "Sam — Acme"),
        ];
        for (class, a, b) in same {
            assert_eq!(skeleton(a), skeleton(b), "{class}: {a:?} vs {b:?}");
        }
        let different = [
            ("another name", "Alissa", "Alison"),
            ("an emoji", "Sam 🙂", "Sam"),
            ("another digit", "Agent 12", "Agent 13"),
        ];
        for (class, a, b) in different {
            assert_ne!(skeleton(a), skeleton(b), "{class}: {a:?} vs {b:?}");
        }
        assert_eq!(skeleton("Acme Assistant (bot)"), "acmeasslstantbot");
    }

    #[test]
    fn hidden_characters_are_named_once_per_kind() {
        /// A hidden character found: its kind, itself, and its 1-based position.
        type Found = (Hidden, char, usize);
        let cases: [(&str, &[Found]); 8] = [
            ("Sam, Acme", &[]),
            ("Sam 🙂", &[]),
            ("Sam\0", &[(Hidden::Control, '\0', 4)]),
            ("Sam\nAcme", &[(Hidden::LineBreak, '\n', 4)]),
            ("Sam\u{2028}", &[(Hidden::LineBreak, '\u{2028}', 4)]),
            (
                "a\u{202E}b\u{202E}c\u{2066}",
                &[(Hidden::Bidi, '\u{202E}', 2)],
            ),
            (
                "\u{FEFF}Sam\u{200D}\u{061C}",
                &[
                    (Hidden::Invisible, '\u{FEFF}', 1),
                    (Hidden::Bidi, '\u{061C}', 6),
                ],
            ),
            ("é\u{200B}", &[(Hidden::Invisible, '\u{200B}', 2)]),
        ];
        for (name, want) in cases {
            let got: Vec<_> = problems(name)
                .into_iter()
                .filter_map(|p| match p {
                    NameProblem::Hidden {
                        kind,
                        found,
                        position,
                        ..
                    } => Some((kind, found, position)),
                    _ => None,
                })
                .collect();
            assert_eq!(got, want, "{name:?}");
        }
    }

    #[test]
    fn problems_say_what_and_where() {
        let all = problems(&format!("\u{202E}{}", "x".repeat(48)));
        let said: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "profile name is 49 characters; at most 48 are shown",
                "profile name has a bidirectional control (U+202E) at character 1; \
                 a name must show all it says",
            ]
        );
        assert_eq!(
            problems(" \t"),
            [
                NameProblem::Empty,
                NameProblem::Hidden {
                    kind: Hidden::Control,
                    found: '\t',
                    position: 2,
                    offset: 1,
                }
            ]
        );
    }
}
