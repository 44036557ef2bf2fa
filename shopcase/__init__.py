"""shopcase: an e-commerce machine-learning case study.

Modules follow the data flow ``data -> validate -> models -> evaluate -> decide``;
see "The package" in the README.
"""

__version__ = "0.1.0"
