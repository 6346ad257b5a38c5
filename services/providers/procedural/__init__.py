"""The offline procedural painter behind the `local` provider: prompt words become scene layers."""
