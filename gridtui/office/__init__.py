"""The community office: enroll workers, merge their files, publish each grid back."""
