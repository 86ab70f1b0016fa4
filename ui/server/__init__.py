"""The Server page: a thin Qt view over app.server.controller.ServerController."""
