"""``python -m plugin.cli``: the ``beinspired`` command without installing the package (the
Procfile's processes run this way on Heroku, whose build installs only the locked requirements)."""
from plugin.cli import main

if __name__ == "__main__":
    main()
