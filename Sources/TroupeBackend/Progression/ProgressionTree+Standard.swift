extension ProgressionTree {
    /// The tree that ships with the server: a village the community builds together. Two
    /// roots (the campfire and the well) whose first levels cost 10 and 15 points, so a demo
    /// with a few dozen `SAY`s (1 point each by default) unlocks one; then five layers of
    /// prerequisites up to the harvest festival. Levels cost more as they go up. As a file
    /// (``standardFileText``):
    ///
    ///     campfire      "The Campfire"          costs=10,40,120
    ///     well          "The Well"              costs=15,60
    ///     notice-board  "The Notice Board"      costs=25                requires=campfire
    ///     quarry        "The Quarry"            costs=30,90,250         requires=campfire
    ///     garden        "The Community Garden"  costs=30,100            requires=well
    ///     forge         "The Forge"             costs=80,200,500        requires=quarry
    ///     market        "The Market"            costs=100,300,800       requires=garden,notice-board
    ///     library       "The Library"           costs=100,250,600,1500  requires=notice-board
    ///     workshop      "The Workshop"          costs=250,700           requires=forge,market
    ///     observatory   "The Observatory"       costs=300,900,2500      requires=library,quarry
    ///     theatre       "The Open-Air Theatre"  costs=300,1000          requires=market,library
    ///     guild-hall    "The Guild Hall"        costs=800,2500,6000     requires=workshop,theatre
    ///     lighthouse    "The Lighthouse"        costs=1000,3000         requires=observatory,forge
    ///     festival      "The Harvest Festival"  costs=5000              requires=guild-hall,lighthouse
    public static let standard = ProgressionTree(validated: [
        node("campfire", "The Campfire", costs: [10, 40, 120]),
        node("well", "The Well", costs: [15, 60]),
        node("notice-board", "The Notice Board", costs: [25], requires: ["campfire"]),
        node("quarry", "The Quarry", costs: [30, 90, 250], requires: ["campfire"]),
        node("garden", "The Community Garden", costs: [30, 100], requires: ["well"]),
        node("forge", "The Forge", costs: [80, 200, 500], requires: ["quarry"]),
        node("market", "The Market", costs: [100, 300, 800], requires: ["garden", "notice-board"]),
        node("library", "The Library", costs: [100, 250, 600, 1500], requires: ["notice-board"]),
        node("workshop", "The Workshop", costs: [250, 700], requires: ["forge", "market"]),
        node("observatory", "The Observatory", costs: [300, 900, 2500], requires: ["library", "quarry"]),
        node("theatre", "The Open-Air Theatre", costs: [300, 1000], requires: ["market", "library"]),
        node("guild-hall", "The Guild Hall", costs: [800, 2500, 6000], requires: ["workshop", "theatre"]),
        node("lighthouse", "The Lighthouse", costs: [1000, 3000], requires: ["observatory", "forge"]),
        node("festival", "The Harvest Festival", costs: [5000], requires: ["guild-hall", "lighthouse"]),
    ])

    /// ``standard`` in the file format of ``parse(_:)``, with comments: a starting point for
    /// an operator's own tree. Parses to ``standard`` (a test holds it to that).
    public static let standardFileText = """
        # The Troupe village: the default progression tree.
        #
        # One node a line, in the tree's order (the first node without prerequisites is the
        # first target):
        #   <name>  "<title>"  costs=<level 1>,<level 2>,...  [requires=<node>,<node>,...]
        # Names are [a-z0-9_-], 1 to 64 characters. A node is a candidate once each node it
        # requires has its level 1 unlocked. Every SAY or DM earns 1 point by default.

        campfire      "The Campfire"          costs=10,40,120
        well          "The Well"              costs=15,60
        notice-board  "The Notice Board"      costs=25                requires=campfire
        quarry        "The Quarry"            costs=30,90,250         requires=campfire
        garden        "The Community Garden"  costs=30,100            requires=well
        forge         "The Forge"             costs=80,200,500        requires=quarry
        market        "The Market"            costs=100,300,800       requires=garden,notice-board
        library       "The Library"           costs=100,250,600,1500  requires=notice-board
        workshop      "The Workshop"          costs=250,700           requires=forge,market
        observatory   "The Observatory"       costs=300,900,2500      requires=library,quarry
        theatre       "The Open-Air Theatre"  costs=300,1000          requires=market,library
        guild-hall    "The Guild Hall"        costs=800,2500,6000     requires=workshop,theatre
        lighthouse    "The Lighthouse"        costs=1000,3000         requires=observatory,forge
        festival      "The Harvest Festival"  costs=5000              requires=guild-hall,lighthouse
        """

    /// A node of ``standard``; the names are literals known to be valid.
    private static func node(_ name: String, _ title: String, costs: [Int64], requires: [String] = []) -> Node {
        Node(name: NodeName(unchecked: name), title: title, prerequisites: requires.map(NodeName.init(unchecked:)), costs: costs)
    }
}
