using System.Reflection;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The search space of an experiment: the properties of <see cref="CspImageClassificationSearchSpace"/>, each with the range or
/// choice a user's class declares (matched by name) or else the default one; draws configurations from a seeded random source.
/// </summary>
internal sealed class SearchSpaceSampler
{
    private static readonly PropertyInfo[] Targets = typeof(CspImageClassificationSearchSpace).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private SearchSpaceSampler(IReadOnlyList<SearchDimension> dimensions, CspImageClassificationSearchSpace initial)
    {
        Dimensions = dimensions;
        Initial = initial;
    }

    public IReadOnlyList<SearchDimension> Dimensions { get; }

    /// <summary>The first configuration tried: the declaring class's initial values.</summary>
    public CspImageClassificationSearchSpace Initial { get; }

    public static SearchSpaceSampler Default { get; } = For(typeof(CspImageClassificationSearchSpace));

    /// <summary>Reads the attributes of <paramref name="declaring"/>; throws naming a property that is unknown or out of its own range.</summary>
    public static SearchSpaceSampler For(Type declaring)
    {
        var defaults = new CspImageClassificationSearchSpace();
        object? instance = declaring.GetConstructor(Type.EmptyTypes) is not null ? Activator.CreateInstance(declaring) : null;
        var declared = declaring.GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => p.Name);
        foreach (var name in declared.Keys)
            if (Targets.All(t => t.Name != name) && declared[name].GetCustomAttributes().Any(a => a.GetType().Namespace == "Microsoft.ML.SearchSpace"))
                throw new ArgumentException($"Search space: '{name}' is not a searchable setting. These are: {string.Join(", ", Targets.Select(t => t.Name))}.");
        var dimensions = new List<SearchDimension>();
        var initial = defaults.Clone();
        foreach (var target in Targets)
        {
            var dimension = (declared.TryGetValue(target.Name, out var own) ? SearchDimension.From(own, target) : null)
                ?? SearchDimension.From(target, target)!;
            dimensions.Add(dimension);
            // As ML.NET: the attribute's default first, then the declaring class's initial value, then the default space's.
            object? start = dimension.Initial
                ?? (own is not null && instance is not null && own.PropertyType == target.PropertyType ? own.GetValue(instance) : target.GetValue(defaults));
            if (start is null || !dimension.Contains(start)) start = dimension.Candidates?[0] ?? dimension.Sample(0.5);
            target.SetValue(initial, start);
        }
        var sampler = new SearchSpaceSampler(dimensions, initial);
        sampler.Validate();
        return sampler;
    }

    public SearchDimension this[string name] => Dimensions.First(d => d.Name == name);

    /// <summary>A configuration drawn uniformly (log-uniformly for log ranges).</summary>
    public CspImageClassificationSearchSpace Sample(Random random)
    {
        var values = new CspImageClassificationSearchSpace();
        foreach (var d in Dimensions) d.Target.SetValue(values, d.Sample(random.NextDouble()));
        return values;
    }

    /// <summary>Values typed by the property; for a range, its two ends.</summary>
    public IEnumerable<T> Choices<T>(string name) => this[name].Candidates?.Cast<T>() ?? [];

    private void Validate()
    {
        foreach (var architecture in Choices<string>(nameof(CspImageClassificationSearchSpace.Architecture)))
            Backbones.GetConfig(PretrainedTags.Split(architecture).Architecture); // unknown names list the registered ones
        var size = this[nameof(CspImageClassificationSearchSpace.ImageSize)];
        foreach (var s in size.Candidates?.Cast<int>() ?? [(int)size.Min, (int)size.Max])
            if (s < CspDefaults.MinImageSize || s > CspDefaults.MaxImageSize)
                throw new ArgumentOutOfRangeException(nameof(CspImageClassificationSearchSpace.ImageSize), s, $"Search space: image sizes must be between {CspDefaults.MinImageSize} and {CspDefaults.MaxImageSize} pixels.");
        if (this[nameof(CspImageClassificationSearchSpace.ImageSize)].Candidates is null)
            throw new ArgumentException("Search space: declare ImageSize as a choice (the first stage featurizes once per size).");
        if (this[nameof(CspImageClassificationSearchSpace.Architecture)].Candidates is null)
            throw new ArgumentException("Search space: declare Architecture as a choice.");
        foreach (var name in new[] { nameof(CspImageClassificationSearchSpace.LearningRate) })
        {
            var d = this[name];
            if ((d.Candidates?.Cast<double>().Min() ?? d.Min) <= 0) throw new ArgumentOutOfRangeException(name, "Search space: the learning rate must be positive.");
        }
        foreach (var name in new[] { nameof(CspImageClassificationSearchSpace.WeightDecay), nameof(CspImageClassificationSearchSpace.LabelSmoothing) })
        {
            var d = this[name];
            double low = d.Candidates?.Cast<double>().Min() ?? d.Min, high = d.Candidates?.Cast<double>().Max() ?? d.Max;
            if (low < 0 || (name == nameof(CspImageClassificationSearchSpace.LabelSmoothing) && high >= 1))
                throw new ArgumentOutOfRangeException(name, $"Search space: {name} out of its valid range ({low} to {high}).");
        }
    }
}
