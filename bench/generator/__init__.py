"""The pieces of bench/generate.py, the benchmark desk generator, split by concept.

`shape` and `names` and the two `phrases_*` modules are data: the desk's proportions, the
names and nouns, and the text fragments customers and agents write. `distributions` turns
them into draws; `tables` lists the loaded tables and their COPY columns; `database` is the
plumbing (connections, COPY streams, the database's marker, migrate); `people` makes the staff
and the customers; `desk` and `desk_rows` plan and write each ticket; `schema` drops and
rebuilds the indexes and foreign keys around the load and runs it. bench/generate.py puts
them together.
"""
