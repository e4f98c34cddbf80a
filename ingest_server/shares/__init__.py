"""Share links for prosecutors: a report or a set of clips behind a random token, and the review pages."""
