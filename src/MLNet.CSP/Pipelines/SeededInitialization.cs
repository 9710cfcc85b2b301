namespace MLNet.CSP.Pipelines;

/// <summary>
/// Networks initialised from a fit's seed, one at a time in the process: libtorch draws initial weights from its one global
/// generator, so two fits on different threads that seeded it and then built their networks could each take the other's
/// numbers. Seeding and building under one lock gives every fit the weights its seed alone gives.
/// </summary>
internal static class SeededInitialization
{
    private static readonly Lock Gate = new();

    /// <summary>Seeds libtorch's generator and runs <paramref name="create"/> while no other fit does.</summary>
    public static T Create<T>(int seed, Func<T> create)
    {
        lock (Gate)
        {
            torch.manual_seed(seed);
            return create();
        }
    }
}
