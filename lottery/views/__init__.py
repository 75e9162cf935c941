"""The lottery's pages: the console, the big screen, the public pages, the record."""
