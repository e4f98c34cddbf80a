"""Related files of a clip (its sidecars): the index rows, what the clip page and the package show."""
