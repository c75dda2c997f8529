"""PynamoDB models of the single Irai table. Only services use them."""
