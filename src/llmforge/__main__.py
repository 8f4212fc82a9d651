from llmforge.cli import app

app(prog_name="llmforge")
