// Canned replies: fill a template as the bot would (the variables the console knows), and the
// picker that opens when the composer starts with "/".

import { el } from './console-view.js';

/** Fills `{var}`s from `vars`; `{{`/`}}` are braces; unknown or missing ones read as nothing,
 * except a missing customer name, which reads "there" (as in the bot's replies). */
export function fill(template, vars) {
  return template.replace(/\{\{|\}\}|\{\s*([a-z.]+)\s*\}/g, (whole, name) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (name === 'customer.name') return vars[name] || 'there';
    return vars[name] || '';
  });
}

/** A picker under `composer` (a textarea); `vars()` gives the conversation's variables. */
export function cannedPicker(composer, getCanned, vars) {
  const search = el('input', { type: 'search', testid: 'canned-search', 'aria-label': 'Search canned replies', placeholder: 'Search canned replies' });
  const list = el('ul', { role: 'listbox', 'aria-label': 'Canned replies' });
  const box = el('div', { class: 'picker', testid: 'canned-picker', hidden: true }, search, list);
  let matches = [];
  let active = 0;

  const query = () => (document.activeElement === search ? search.value : composer.value.slice(1)).trim().toLowerCase();
  const render = () => {
    const q = query();
    matches = getCanned().filter((c) => !q || c.name.toLowerCase().includes(q) || c.text.toLowerCase().includes(q));
    active = Math.min(active, Math.max(0, matches.length - 1));
    list.replaceChildren(...matches.map((c, i) => el('li', {
      role: 'option', testid: 'canned-option', 'data-name': c.name, id: `opt-${Math.random().toString(36).slice(2)}`,
      'aria-selected': i === active ? 'true' : 'false',
      onmousedown: (e) => { e.preventDefault(); choose(i); },
    }, el('strong', { text: c.name }), el('small', { text: c.text }))));
    if (!matches.length) list.append(el('li', { class: 'empty', text: 'No canned reply matches' }));
  };
  const open = () => { box.hidden = false; render(); };
  const close = () => { box.hidden = true; search.value = ''; };
  const choose = (i) => {
    const c = matches[i];
    if (!c) return;
    composer.value = fill(c.text, vars());
    close();
    composer.focus();
    composer.setSelectionRange(composer.value.length, composer.value.length);
  };
  const keys = (e) => {
    if (box.hidden) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + matches.length) % Math.max(1, matches.length);
      render();
    } else if (e.key === 'Enter') {
      choose(active);
    } else if (e.key === 'Escape') {
      close();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  };
  composer.addEventListener('input', () => {
    if (composer.value.startsWith('/') && !composer.value.includes('\n')) open();
    else if (!box.hidden) close();
  });
  search.addEventListener('input', render);
  search.addEventListener('keydown', keys);
  return { box, keys };
}
