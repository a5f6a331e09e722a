"""Path converters of the project's URLs.

`<id:pk>` is an object id as the database stores it (BigAutoField: 1 to 2**63 - 1). A longer or
larger number never reaches a view (it would overflow the database integer: a 500 on PostgreSQL),
it is a 404 like any id that does not exist.
"""

from django.urls import register_converter

#: The largest BigAutoField value (PostgreSQL bigint, SQLite integer).
MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")  # the URL does not match: a 404
        return number

    def to_url(self, value: int) -> str:
        # Not bounded: views build URL templates from a placeholder id (`reverse(..., args=[0])`).
        return str(value)


register_converter(IdConverter, "id")
