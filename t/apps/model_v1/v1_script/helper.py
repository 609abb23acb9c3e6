def greet(word):
    return f"helper greets {word}"
