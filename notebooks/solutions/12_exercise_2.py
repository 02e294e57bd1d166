# Answer: a public https address that forwards to the receiver's port (a tunnel).
public_url = "https://abc123.ngrok-free.app"
check_public_url(public_url)
