//! What the demo business sells and who it deals with: categories with their cost curves and shares of the
//! sales, stores, names. Plain data; the generator draws from it.

use crate::types::Family;

/// A category of the catalog and how it behaves.
pub(super) struct Category {
    pub(super) family: Family,
    pub(super) name: &'static str,
    /// One record per piece (true) or counted lots (false).
    pub(super) serialized: bool,
    /// Median unit cost in cents (log-normal around it).
    pub(super) median_cost_cents: i64,
    /// Spread of the log-normal.
    pub(super) sigma: f64,
    /// Retail = cost × a markup drawn between these (percent).
    pub(super) markup: (i64, i64),
    /// Share of sale lines, relative to the other categories.
    pub(super) weight: u32,
    /// Style descriptions, combined with a metal or a size.
    pub(super) looks: &'static [&'static str],
    /// Style number prefix.
    pub(super) prefix: &'static str,
}

/// Every category the generator stocks. Serialized: rings, pendants, bracelets, watches, loose stones, pearl
/// pendants; lots: chains, earrings, charms, strands, pearl studs, watch bands, calibrated stones.
pub(super) const CATEGORIES: &[Category] = &[
    Category {
        family: Family::Jewelry,
        name: "engagement rings",
        serialized: true,
        median_cost_cents: 160_000,
        sigma: 0.7,
        markup: (190, 240),
        weight: 4,
        looks: &["Solitaire", "Halo", "Three-stone", "Cathedral", "Pavé band", "Vintage milgrain"],
        prefix: "ER",
    },
    Category {
        family: Family::Jewelry,
        name: "rings",
        serialized: true,
        median_cost_cents: 30_000,
        sigma: 0.6,
        markup: (210, 260),
        weight: 10,
        looks: &["Eternity band", "Signet", "Stackable band", "Cocktail ring", "Wedding band", "Bypass ring"],
        prefix: "RG",
    },
    Category {
        family: Family::Jewelry,
        name: "pendants",
        serialized: true,
        median_cost_cents: 20_000,
        sigma: 0.7,
        markup: (210, 260),
        weight: 8,
        looks: &["Diamond pendant", "Locket", "Cross pendant", "Initial pendant", "Bezel drop", "Heart pendant"],
        prefix: "PD",
    },
    Category {
        family: Family::Jewelry,
        name: "bracelets",
        serialized: true,
        median_cost_cents: 42_000,
        sigma: 0.8,
        markup: (200, 250),
        weight: 5,
        looks: &["Tennis bracelet", "Bangle", "Cuff", "Link bracelet", "Charm bracelet"],
        prefix: "BR",
    },
    Category {
        family: Family::Watches,
        name: "watches",
        serialized: true,
        median_cost_cents: 240_000,
        sigma: 0.9,
        markup: (135, 165),
        weight: 3,
        looks: &["Automatic diver", "Chronograph", "Dress watch", "GMT", "Pilot watch", "Quartz classic"],
        prefix: "WA",
    },
    Category {
        family: Family::Diamonds,
        name: "loose diamonds",
        serialized: true,
        median_cost_cents: 250_000,
        sigma: 0.9,
        markup: (140, 180),
        weight: 2,
        looks: &["Round brilliant", "Oval", "Cushion", "Emerald cut", "Princess", "Pear"],
        prefix: "LD",
    },
    Category {
        family: Family::ColoredStones,
        name: "loose gemstones",
        serialized: true,
        median_cost_cents: 80_000,
        sigma: 0.9,
        markup: (180, 240),
        weight: 2,
        looks: &["Blue sapphire", "Ruby", "Emerald", "Tanzanite", "Spinel", "Padparadscha"],
        prefix: "GM",
    },
    Category {
        family: Family::Pearls,
        name: "pearl pendants",
        serialized: true,
        median_cost_cents: 26_000,
        sigma: 0.5,
        markup: (210, 260),
        weight: 2,
        looks: &["Tahitian drop", "South Sea pendant", "Akoya solitaire"],
        prefix: "PP",
    },
    Category {
        family: Family::Jewelry,
        name: "chains",
        serialized: false,
        median_cost_cents: 12_000,
        sigma: 0.6,
        markup: (220, 280),
        weight: 12,
        looks: &["Rope chain", "Box chain", "Cable chain", "Figaro chain", "Franco chain", "Herringbone"],
        prefix: "CH",
    },
    Category {
        family: Family::Jewelry,
        name: "earrings",
        serialized: false,
        median_cost_cents: 9_000,
        sigma: 0.7,
        markup: (220, 280),
        weight: 14,
        looks: &["Diamond studs", "Hoops", "Huggies", "Drop earrings", "Threaders", "Ear climbers"],
        prefix: "EA",
    },
    Category {
        family: Family::Jewelry,
        name: "charms",
        serialized: false,
        median_cost_cents: 2_800,
        sigma: 0.5,
        markup: (230, 300),
        weight: 8,
        looks: &["Heart charm", "Star charm", "Birthstone charm", "Letter charm", "Anchor charm"],
        prefix: "CM",
    },
    Category {
        family: Family::Pearls,
        name: "pearl strands",
        serialized: false,
        median_cost_cents: 24_000,
        sigma: 0.6,
        markup: (200, 260),
        weight: 3,
        looks: &["Akoya strand", "Freshwater strand", "Graduated strand", "Opera strand"],
        prefix: "PS",
    },
    Category {
        family: Family::Pearls,
        name: "pearl studs",
        serialized: false,
        median_cost_cents: 4_500,
        sigma: 0.5,
        markup: (220, 280),
        weight: 4,
        looks: &["Freshwater studs", "Akoya studs", "Button pearl studs"],
        prefix: "PE",
    },
    Category {
        family: Family::Watches,
        name: "watch bands",
        serialized: false,
        median_cost_cents: 1_800,
        sigma: 0.5,
        markup: (220, 300),
        weight: 3,
        looks: &["Leather strap", "Mesh bracelet", "Rubber strap", "NATO strap"],
        prefix: "WB",
    },
    Category {
        family: Family::ColoredStones,
        name: "calibrated gemstones",
        serialized: false,
        median_cost_cents: 3_000,
        sigma: 0.6,
        markup: (200, 260),
        weight: 1,
        looks: &["Calibrated sapphires", "Calibrated rubies", "Calibrated emeralds", "Peridot rounds"],
        prefix: "CG",
    },
];

/// Metals and sizes that vary a look into several styles.
pub(super) const VARIANTS: &[&str] =
    &["14k yellow", "14k white", "18k yellow", "18k white", "platinum", "rose gold", "sterling", "two-tone"];

/// Styles a traded-in piece comes in as, by family (serialized, priced at a typical estate retail).
pub(super) const ESTATE: &[(Family, &str, &str, i64)] = &[
    (Family::Jewelry, "TI-JW", "Estate jewelry (trade-in)", 90_000),
    (Family::Watches, "TI-WA", "Pre-owned watch (trade-in)", 250_000),
    (Family::Diamonds, "TI-DI", "Estate diamond (trade-in)", 180_000),
];

/// Services and small charges sold without stock: (kind is service?, description, low, high dollars).
pub(super) const SERVICES: &[(bool, &str, i64, i64)] = &[
    (true, "Ring sizing", 30, 120),
    (true, "Watch battery", 15, 25),
    (true, "Chain solder", 25, 60),
    (true, "Prong retip", 45, 180),
    (true, "Cleaning and inspection", 15, 40),
    (false, "Engraving", 20, 60),
    (false, "Gift box", 5, 15),
];

/// A store preset: code, name, tax %, surtax %, surtax threshold in dollars.
pub(super) const STORES: &[(&str, &str, &str, &str, i64)] = &[
    ("MAIN", "Las Olas Boulevard", "6", "1", 5_000),
    ("NYC", "Madison Avenue", "8.875", "0", 0),
    ("MALL", "Galleria Mall", "7", "0", 0),
    ("AUS", "Austin Domain", "8.25", "0", 0),
    ("TPA", "Tampa Bay", "6", "1.5", 5_000),
    ("CHI", "Oak Street", "6.25", "0", 0),
    ("PHX", "Scottsdale Quarter", "8.05", "0", 0),
    ("NSH", "Nashville Green Hills", "7", "2.75", 1_600),
];

/// Vendors: (name, consigns pieces on memo).
pub(super) const VENDORS: &[(&str, bool)] = &[
    ("Stuller", false),
    ("Gold Line Chains", false),
    ("Verragio Bridal", false),
    ("Meridian Diamonds", true),
    ("Hudson Watch Distributors", true),
    ("Ceylon Gem Traders", true),
    ("Mikimoto Pearl Supply", false),
    ("Lotus Findings", false),
    ("Northern Star Castings", false),
    ("Antwerp Cut Works", true),
    ("Tahiti Pearl House", false),
    ("Strapcraft", false),
];

/// Partners who co-own pieces.
pub(super) const PARTNERS: &[&str] = &["Ruth Adler (partner)", "Bellamy Gem Partners", "M. Okafor (investor)"];

/// Given names for customers and staff.
pub(super) const FIRST: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Lucas",
    "Charlotte",
    "Henry",
    "Amelia",
    "Mateo",
    "Harper",
    "Theodore",
    "Evelyn",
    "Jack",
    "Aria",
    "Levi",
    "Chloe",
    "Daniel",
    "Priya",
    "Wei",
    "Fatima",
    "Diego",
    "Yuki",
    "Kwame",
    "Sofia",
    "Omar",
    "Grace",
    "Ethan",
    "Nora",
    "Samuel",
    "Leah",
    "Aarav",
    "Zoe",
    "Gabriel",
];

/// Family names for customers and staff.
pub(super) const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Patel",
    "Nguyen",
    "Kim",
    "Cohen",
    "Okafor",
    "Rossi",
    "Schmidt",
    "Dubois",
    "Tanaka",
    "Kowalski",
];

/// Trade names of wholesale customers (they hold resale certificates and buy on terms).
pub(super) const TRADE: &[&str] =
    &["Jewelers", "Fine Jewelry", "Gem Gallery", "Diamond Exchange", "Bridal Boutique", "Goldsmiths", "Designs"];

/// Streets for addresses.
pub(super) const STREETS: &[&str] =
    &["Maple Ave", "Oak St", "Cedar Ln", "Park Blvd", "Lakeview Dr", "Sunset Rd", "Hillcrest Way", "River Rd"];
