"""The lottery's PDF documents."""
