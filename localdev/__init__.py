"""Local mode: the embedded AWS emulator, provisioning from infra/, the local mailbox.

Nothing here is shipped to Lambda (Chalice packages only app.py, chalicelib/ and vendor/).
"""
