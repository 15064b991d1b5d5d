"""One module per Lambda function; each imports only what it uses."""
