"""The API base every app's API builds on: the error mapping, the view mixin, the filters."""
