"""People who sign in: users with roles (admin, manager, rep), each optionally a rep."""
