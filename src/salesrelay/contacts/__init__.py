"""Privacy: everything held on a person (export) and erasing it (erase).

`identity` is the pure core (who the person is, how they appear in text, what to redact);
`service` finds the rows that hold or mention them; `flows` exports and erases.
"""
