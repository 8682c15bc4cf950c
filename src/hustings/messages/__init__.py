"""Messages: what arrives from a source, who wrote it and whom it is addressed to."""
