"""Data access: DynamoDB items in, domain models out. Key layout in README ("Storage")."""
