"""The public use-of-force portal: statistics pages anyone can open, no sign-in.

`counts` (what is counted), `suppression` (what is hidden), `pages` (what each
page shows), `charts` (SVG), `downloads` (CSV/JSON, data dictionary) are pure;
`site` renders them all to files; `service` reads the database; `routes` serves
them at /public/ when enabled; `cli` writes them to a folder.
"""
