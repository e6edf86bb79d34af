"""The one exception the engine raises: an ECS error code and AWS's message."""


class EcsError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def client_error(message: str) -> EcsError:
    return EcsError("ClientException", message)


def invalid_parameter(message: str) -> EcsError:
    return EcsError("InvalidParameterException", message)
