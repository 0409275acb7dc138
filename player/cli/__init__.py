"""The `practice` command: the only place that parses options, prints and exits."""
