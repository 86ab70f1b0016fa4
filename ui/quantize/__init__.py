"""Quant lab widgets: the importance-matrix dialog and the recipe picker."""
