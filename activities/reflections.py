"""学习心得 from members: text, photos of a handwritten page (re-encoded, no EXIF) or a voice recording; stored privately, served to the member and organisers."""

urlpatterns: list = []
