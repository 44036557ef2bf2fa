"""Vocabulary of the synthetic catalogue: per category, the nouns and adjectives its titles use.

Words are drawn per category so that an item's title carries its category's
signal (content-based recommenders should be able to learn from text), and a
brand name is prefixed to every title. ``price_median`` is in currency units.
"""

from __future__ import annotations

CATEGORIES: dict[str, dict] = {
    "electronics": {
        "price_median": 60.0,
        "nouns": ["headphones", "charger", "speaker", "cable", "keyboard", "mouse", "webcam", "router"],
        "adjectives": ["wireless", "portable", "smart", "fast", "noise-cancelling", "usb-c", "compact"],
    },
    "books": {
        "price_median": 14.0,
        "nouns": ["novel", "cookbook", "biography", "thriller", "atlas", "guide", "anthology", "memoir"],
        "adjectives": ["illustrated", "paperback", "hardcover", "bestselling", "classic", "annotated"],
    },
    "fashion": {
        "price_median": 35.0,
        "nouns": ["t-shirt", "jeans", "jacket", "dress", "sneakers", "scarf", "hoodie", "belt"],
        "adjectives": ["slim", "cotton", "denim", "oversized", "vintage", "linen", "striped"],
    },
    "home": {
        "price_median": 28.0,
        "nouns": ["cushion", "lamp", "rug", "curtain", "vase", "frame", "candle", "blanket"],
        "adjectives": ["scandinavian", "velvet", "ceramic", "woven", "rustic", "minimal", "scented"],
    },
    "beauty": {
        "price_median": 18.0,
        "nouns": ["serum", "moisturiser", "shampoo", "lipstick", "mascara", "cleanser", "perfume"],
        "adjectives": ["organic", "hydrating", "vegan", "matte", "fragrance-free", "nourishing"],
    },
    "sports": {
        "price_median": 40.0,
        "nouns": ["yoga mat", "dumbbell", "running shoes", "water bottle", "racket", "helmet", "gloves"],
        "adjectives": ["lightweight", "breathable", "adjustable", "non-slip", "waterproof", "pro"],
    },
    "toys": {
        "price_median": 22.0,
        "nouns": ["puzzle", "building blocks", "doll", "board game", "plush bear", "race car", "kite"],
        "adjectives": ["educational", "wooden", "colourful", "magnetic", "junior", "deluxe"],
    },
    "grocery": {
        "price_median": 6.0,
        "nouns": ["coffee beans", "green tea", "olive oil", "granola", "pasta", "chocolate", "honey"],
        "adjectives": ["organic", "fair-trade", "italian", "roasted", "wholegrain", "dark", "raw"],
    },
    "garden": {
        "price_median": 25.0,
        "nouns": ["planter", "hose", "seeds", "pruner", "bird feeder", "trowel", "lantern"],
        "adjectives": ["weatherproof", "solar", "galvanised", "terracotta", "heirloom", "foldable"],
    },
    "pets": {
        "price_median": 16.0,
        "nouns": ["dog food", "cat litter", "chew toy", "leash", "pet bed", "scratching post", "treats"],
        "adjectives": ["grain-free", "durable", "orthopaedic", "catnip", "reflective", "natural"],
    },
    "kitchen": {
        "price_median": 30.0,
        "nouns": ["frying pan", "knife", "blender", "kettle", "chopping board", "mug", "teapot"],
        "adjectives": ["non-stick", "stainless", "cast-iron", "bamboo", "enamel", "electric"],
    },
    "office": {
        "price_median": 12.0,
        "nouns": ["notebook", "pen set", "desk organiser", "stapler", "planner", "backpack", "marker"],
        "adjectives": ["recycled", "ergonomic", "refillable", "dotted", "leather", "pastel"],
    },
}

BRAND_SYLLABLES: list[str] = [
    "al",
    "bo",
    "ca",
    "de",
    "el",
    "fi",
    "go",
    "ha",
    "in",
    "jo",
    "ka",
    "lu",
    "mo",
    "no",
    "or",
    "pa",
    "qui",
    "ro",
    "sa",
    "te",
    "ul",
    "vi",
    "wa",
    "xe",
    "yo",
    "za",
    "ber",
    "dor",
    "fen",
    "gar",
    "lin",
    "mar",
]
"""Syllables combined (deterministically under the seed) into brand names."""
