"""Sub-commands of the ``explorer`` command line; each module offers ``add_parser(subparsers)``.

``add_parser`` registers the sub-command and sets ``run=<function(args) -> int>`` as its default.
"""
