"""The docs checked against the code: the CLI reference, the snippets, the JSON shapes."""
