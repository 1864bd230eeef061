"""The fifth state: the schema the migrations produce, built by running them in a scratch
database (see DESIGN.md, "The four states")."""
