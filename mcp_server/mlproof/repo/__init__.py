"""Repository reading: git-aware file walk, text and notebook readers, secret redaction."""
