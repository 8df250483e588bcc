"""The USSR's frontier wars, 1938-1940: Japan, eastern Poland, the Winter War."""
