"""One module per Lambda function of the payments service."""
