namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// How long a fine-tuning final fit trains, decided again after each epoch from its own epochs' times and the time left
/// (sized from rungs, a 92-epoch final fit ran 11% over its estimate and was lost at the deadline; others ran 25-57% under).
/// An epoch is priced at the slower of the mean so far and the mean of the last five; the first epoch's time (warm-up) stands
/// in only until the second is timed. <b>Shorter</b>: from the second epoch on, when the rest would run past the time left
/// with 5% added. <b>Longer</b>: while at most half of the plan has run (the learning rate is still high; a longer schedule
/// raises it a little) and never after a shortening, by at least a tenth of the plan, when the time left holds those epochs
/// with 15% added; the first epoch's time may decide it (it is the slower), and a later slowdown is caught by shortening.
/// The margins differ so that the epochs' noise does not flip the plan back and forth. Never past <paramref name="maxEpochs"/>.
/// </summary>
internal sealed class FinalFitSchedule(Func<double> secondsLeft, int maxEpochs)
{
    private readonly List<double> times = [];
    private bool shortened;

    /// <summary>
    /// After epoch <paramref name="epoch"/> (1-based) of a <paramref name="planned"/>-epoch plan, which took
    /// <paramref name="seconds"/>: the new plan, or null to keep it.
    /// </summary>
    public int? AfterEpoch(int epoch, int planned, double seconds)
    {
        if (epoch >= 2 || times.Count == 0) times.Add(seconds);
        if (epoch == 2) times.RemoveAt(0);
        double perEpoch = Math.Max(Math.Max(times.Average(), times.TakeLast(5).Average()), 1e-9), left = secondsLeft();
        double shorter = epoch + Math.Floor(left / (1.05 * perEpoch));
        if (shorter < planned)
        {
            if (epoch < 2) return null;
            shortened = true;
            return (int)Math.Max(shorter, epoch);
        }
        double longer = Math.Min(maxEpochs, epoch + Math.Floor(left / (1.15 * perEpoch)));
        return !shortened && 2 * epoch <= planned && longer >= planned + Math.Max(1, planned / 10) ? (int)longer : null;
    }
}
