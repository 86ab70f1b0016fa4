"""Error types shared by the core packages. Each message is one clear line
meant for the user; the CLI prints it without a traceback."""


class WorkbenchError(Exception):
    """Base class for every error the app reports to the user."""


class ModelFileError(WorkbenchError):
    """A model file is missing, malformed or unsupported."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
