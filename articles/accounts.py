"""Accounts and roles in the admin: how people are named."""


def person_label(user):
    """ "Claire Morel (editor)": an account as the admin's pickers show it.

    An account without a name is shown by its username alone.
    """
    full_name = user.get_full_name()
    username = user.get_username()
    return f"{full_name} ({username})" if full_name else username
