print("pier")
