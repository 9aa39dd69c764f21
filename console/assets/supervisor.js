// Coming: the supervisor page's script.
