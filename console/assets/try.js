// Coming: the try page's script.
