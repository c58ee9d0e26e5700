# checkov loads external Python checks only from folders that hold an __init__.py.
