namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// An exponential moving average of a network's weights and normalisation statistics, as the strongest detection trainers
/// keep one (and validate and save it rather than the last step's weights): after each step every float entry of the state
/// dict moves towards the network's by <c>1 - d</c>, with <c>d = decay · (1 - exp(-updates / 2000))</c> so the average
/// follows the network closely while it changes fast early on. Integer entries (batch counts) are copied.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    /// <summary>Updates over which the decay ramps up (Ultralytics' tau).</summary>
    public const double RampUpdates = 2000;

    private readonly double decay;
    private List<(string Name, Tensor Source, Tensor Average)> entries;

    public WeightAverage(nn.Module model, double decay)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must be in (0, 1).");
        this.decay = decay;
        using var noGrad = torch.no_grad();
        entries = [.. model.state_dict().Select(kv => (kv.Key, kv.Value, kv.Value.detach().clone()))];
    }

    /// <summary>Takes the network's entries again (after the optimizer re-pointed its parameters into new buffers).</summary>
    public void Rebind(nn.Module model)
    {
        var current = model.state_dict();
        entries = [.. entries.Select(e => (e.Name, current[e.Name], e.Average))];
    }

    /// <summary>Steps averaged so far.</summary>
    public long Updates { get; private set; }

    /// <summary>Moves the average towards the network's current entries.</summary>
    public void Update()
    {
        Updates++;
        double d = decay * (1 - Math.Exp(-Updates / RampUpdates));
        using var noGrad = torch.no_grad();
        foreach (var (_, source, average) in entries)
        {
            if (source.is_floating_point()) average.lerp_(source, 1 - d);
            else average.copy_(source);
        }
    }

    /// <summary>Puts the average into the network until the returned scope ends, when the network's own entries come back.</summary>
    public IDisposable Applied()
    {
        using var noGrad = torch.no_grad();
        var saved = entries.Select(e => e.Source.detach().clone()).ToList();
        foreach (var (_, source, average) in entries) source.copy_(average);
        return new ScopeAction(() =>
        {
            using var restoring = torch.no_grad();
            for (int i = 0; i < entries.Count; i++)
            {
                entries[i].Source.copy_(saved[i]);
                saved[i].Dispose();
            }
        });
    }

    /// <summary>Copies the average into the network for good (the end of training).</summary>
    public void CopyIntoNetwork()
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, source, average) in entries) source.copy_(average);
    }

    /// <summary>A detached CPU copy of the average, keyed as the network's state dict (a best-epoch snapshot).</summary>
    public Dictionary<string, Tensor> Snapshot() => entries.ToDictionary(e => e.Name, e => e.Average.detach().cpu().clone());

    /// <summary>Writes the average and its update count as safetensors.</summary>
    public void Save(string path)
    {
        using var updates = torch.tensor(new[] { Updates });
        var state = entries.ToDictionary(e => e.Name, e => e.Average);
        state["__updates"] = updates;
        Checkpoint.Save(state, path);
    }

    /// <summary>Reads what <see cref="Save"/> wrote for the same network.</summary>
    /// <exception cref="InvalidDataException">The file is for another network.</exception>
    public void Load(string path)
    {
        if (!File.Exists(path))
            throw new InvalidDataException($"The checkpoint has no weight average ('{path}' is missing). Delete the directory '{Path.GetDirectoryName(path)}' to start over.");
        var state = Checkpoint.Read(path);
        try
        {
            if (!state.TryGetValue("__updates", out var updates) || entries.Any(e => !state.TryGetValue(e.Name, out var t) || !t.shape.SequenceEqual(e.Average.shape)))
                throw new InvalidDataException($"'{path}' is not this run's weight average.");
            using var noGrad = torch.no_grad();
            foreach (var (name, _, average) in entries) average.copy_(state[name]);
            Updates = updates.to_type(ScalarType.Int64).item<long>();
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, average) in entries) average.Dispose();
    }
}
