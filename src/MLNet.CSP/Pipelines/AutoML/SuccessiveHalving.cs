namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// The arithmetic of one successive-halving bracket with reduction factor <c>eta</c>, <c>s</c> halvings and a minimum of
/// <c>r</c> epochs: <c>eta^s</c> configurations trained <c>r</c> epochs, the best <c>eta^(s-1)</c> continued to <c>r*eta</c>,
/// ... one to <c>r*eta^s</c>. Continued trials resume from their checkpoints, so a rung costs only its additional epochs.
/// </summary>
internal static class SuccessiveHalving
{
    /// <summary>Halvings of a bracket when the budget allows: three rungs, nine configurations with the default factor of 3.</summary>
    public const int DefaultHalvings = 2;

    /// <summary>Epochs at the end of each rung.</summary>
    public static int[] Rungs(int eta, int halvings, int minEpochs = 1) =>
        Enumerable.Range(0, halvings + 1).Select(i => checked(minEpochs * Pow(eta, i))).ToArray();

    /// <summary>Configurations that start each rung.</summary>
    public static int[] Survivors(int eta, int halvings) => Enumerable.Range(0, halvings + 1).Select(i => Pow(eta, halvings - i)).ToArray();

    /// <summary>Epochs the whole bracket trains.</summary>
    public static long Epochs(int eta, int halvings, int minEpochs = 1)
    {
        var rungs = Rungs(eta, halvings, minEpochs);
        var survivors = Survivors(eta, halvings);
        long total = 0;
        for (int i = 0; i <= halvings; i++) total += (long)survivors[i] * (rungs[i] - (i == 0 ? 0 : rungs[i - 1]));
        return total;
    }

    /// <summary>Epochs rung 0 trains when the time allows: the first epoch is mostly the learning-rate warm-up, a poor ranking signal.</summary>
    public const int PreferredMinEpochs = 2;

    /// <summary>Trial-rungs a bracket runs (each pays the fixed cost of a fit: reading the data, building the model, validating).</summary>
    public static int TrialRungs(int eta, int halvings) => Survivors(eta, halvings).Sum();

    /// <summary>
    /// The bracket for the time left: the most halvings (up to <paramref name="maxHalvings"/>) whose rung 0 can train
    /// <see cref="PreferredMinEpochs"/> epochs, else the most that fit at one epoch; the minimum epochs are then raised to
    /// fill <paramref name="secondsLeft"/> (the last rung trains as long as the budget allows, up to
    /// <paramref name="maxEpochs"/>). Null when not even one configuration for one epoch fits.
    /// </summary>
    public static (int Halvings, int MinEpochs)? Plan(int eta, int maxHalvings, int? maxEpochs, double secondsPerEpoch, double secondsPerTrial, double secondsLeft)
    {
        (int, int)? fallback = null;
        for (int s = maxHalvings; s >= 0; s--)
        {
            int top = Pow(eta, s);
            if (maxEpochs is int cap && top > cap) continue;
            double fits = (secondsLeft - TrialRungs(eta, s) * secondsPerTrial) / (Epochs(eta, s) * Math.Max(secondsPerEpoch, 1e-6));
            int minEpochs = (int)Math.Min(Math.Floor(Math.Max(0, fits)), maxEpochs is int c ? c / top : int.MaxValue / top);
            if (minEpochs >= PreferredMinEpochs || (minEpochs >= 1 && maxEpochs is int m && m / top < PreferredMinEpochs)) return (s, minEpochs);
            if (minEpochs >= 1) fallback ??= (s, minEpochs);
        }
        return fallback;
    }

    private static int Pow(int b, int e)
    {
        long r = 1;
        for (int i = 0; i < e; i++) r = checked(r * b);
        return (int)r;
    }
}
