def salutation():
    return "Greetings"
