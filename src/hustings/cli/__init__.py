"""The `hustings` command. `main.py` holds the spine's commands; each other module in this
package that defines `register(app)` adds the commands of its concept."""
