"""`a4pbot`: the command line (`main.py`), the operators' data commands and the benchmark."""
