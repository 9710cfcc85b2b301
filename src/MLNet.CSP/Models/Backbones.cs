namespace MLNet.CSP.Models;

/// <summary>The backbone registry: every variant by name, built from its configuration.</summary>
public static class Backbones
{
    private static readonly object Gate = new();
    private static readonly List<string> OrderedNames = [];
    private static readonly Dictionary<string, IBackboneConfig> Registry = new(StringComparer.OrdinalIgnoreCase);

    static Backbones()
    {
        foreach (var (name, config) in ZooConfigs.All()) Register(name, config);
    }

    /// <summary>Every registered name, in registration order.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Gate) return OrderedNames.ToArray(); }
    }

    /// <summary>Whether <paramref name="name"/> is registered (case-insensitive).</summary>
    public static bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate) return Registry.ContainsKey(name);
    }

    /// <summary>Registers a new variant (for example a width-scaled CSP net for CPU apps).</summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public static void Register(string name, IBackboneConfig config)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(config);
        lock (Gate)
        {
            if (!Registry.TryAdd(name, config))
                throw new ArgumentException($"A backbone named '{name}' is already registered.", nameof(name));
            OrderedNames.Add(name);
        }
    }

    /// <summary>The configuration registered under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered ones.</exception>
    public static IBackboneConfig GetConfig(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate)
        {
            if (Registry.TryGetValue(name, out var config)) return config;
            throw new ArgumentException(
                $"Unknown backbone architecture '{name}'. Registered: {string.Join(", ", OrderedNames)}.", nameof(name));
        }
    }

    /// <summary>Creates a network of the given architecture, freshly initialised or with its published ImageNet weights.</summary>
    /// <param name="name">A registered name (see <see cref="Names"/>), optionally with timm's pretrained tag after a dot
    /// (<c>cspresnext50.ra_in1k</c>); the tag selects the weights and their preprocessing (<see cref="Backbone.Pretrained"/>).</param>
    /// <param name="numClasses">Classifier outputs; 0 for a network without classifier.</param>
    /// <param name="pretrained">Load the published weights (default tag unless the name has one), downloaded from the Hugging
    /// Face Hub into its shared cache on first use (<see cref="Weights.Hub.HubDownloads"/>); the ImageNet classifier is kept
    /// for 1000 classes and replaced (freshly initialised) otherwise.</param>
    /// <param name="hub">Where and how to fetch; null reads the environment as huggingface_hub does.</param>
    /// <exception cref="InvalidOperationException"><paramref name="pretrained"/> for an architecture without published weights (the message lists those with weights).</exception>
    public static Backbone Create(string name, int numClasses = 1000, bool pretrained = false, Weights.Hub.HubOptions? hub = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        var (architecture, _) = PretrainedTags.Split(name);
        var config = GetConfig(architecture);
        var preprocessing = PretrainedTags.Preprocessing(name);
        var weights = pretrained
            ? preprocessing.Weights ?? throw new InvalidOperationException(
                $"'{architecture}' has no published pretrained weights. These do: {string.Join(", ", PretrainedTags.WithWeights())}.")
            : null;
        string? file = weights is null ? null : Weights.Hub.HubDownloads.Download(weights, hub);
        TorchNative.EnsureLoaded();
        string canonical;
        lock (Gate) canonical = OrderedNames.First(n => string.Equals(n, architecture, StringComparison.OrdinalIgnoreCase));
        var backbone = config.Build(canonical, numClasses);
        try
        {
            backbone.Pretrained = preprocessing;
            if (file is not null)
                Checkpoint.Load(backbone, file, numClasses == 1000 ? null : new CheckpointLoadOptions { ExcludeClassifier = true });
            return backbone;
        }
        catch
        {
            backbone.Dispose();
            throw;
        }
    }

    /// <summary>Parameter count and multiply-accumulates of an architecture at an input size.</summary>
    public static ModelComplexity Describe(string name, int height = 224, int width = 224, int numClasses = 1000)
    {
        using var model = Create(name, numClasses);
        return ModelComplexity.Measure(model, height, width);
    }
}
