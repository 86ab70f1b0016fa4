"""Chat conversations: the message list, attached images, saved conversations and transcript export."""
