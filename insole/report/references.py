"""The literature the reports cite (science.md section 12), by short id.

Citations are the same in every language, so they live here rather than in
the message catalogues.  Only references whose details are confirmed are
listed: the entries science.md marks *(verify)* are not quoted in reports
(science.md 11, item 3).
"""

from __future__ import annotations

from typing import Final

REFERENCES: Final[dict[str, str]] = {
    "alfredson1998": "Alfredson H, Pietilä T, Jonsson P, Lorentzon R. Heavy-load eccentric calf muscle training for chronic Achilles tendinosis. Am J Sports Med 1998;26:360–366.",
    "blackmore2016": "Blackmore T, Willy RW, Creaby MW. The high frequency component of the vertical ground reaction force is a valid surrogate measure of the impact peak. J Biomech 2016;49:479–483.",
    "bojsenmoller1979": "Bojsen-Møller F. Calcaneocuboid joint and stability of the longitudinal arch of the foot at high and low gear push off. J Anat 1979;129:165–176.",
    "breine2014": "Breine B, Malcolm P, Frederick EC, De Clercq D. Relationship between running speed and initial foot contact patterns. Med Sci Sports Exerc 2014;46:1595–1603.",
    "buldt2013": "Buldt AK, Murley GS, Butterworth P, Levinger P, Menz HB, Landorf KB. The relationship between foot posture and lower limb kinematics during walking: a systematic review. Gait Posture 2013;38:363–372.",
    "buldt2018": "Buldt AK, Forghany S, Landorf KB, Murley GS, Levinger P, Menz HB. Centre of pressure characteristics in normal, planus and cavus feet. J Foot Ankle Res 2018;11:3.",
    "cavanagh1980": "Cavanagh PR, Lafortune MA. Ground reaction forces in distance running. J Biomech 1980;13:397–406.",
    "comert2025": "Cömert GM, Gruber M. Exercise modalities for improving frontal plane knee and foot posture in healthy adults: a systematic review. Sports 2025;13:52.",
    "davis2016": "Davis IS, Bowser BJ, Mullineaux DR. Greater vertical impact loading in female runners with medically diagnosed injuries: a prospective investigation. Br J Sports Med 2016;50:887–892.",
    "engkananuwat2023": "Engkananuwat P, Kanlayanaphotporn R. Gluteus medius muscle strengthening exercise effects on medial longitudinal arch height in individuals with flexible flatfoot: a randomized controlled trial. J Exerc Rehabil 2023;19:57–66.",
    "forrester2015": "Forrester SE, Townend J. The effect of running velocity on footstrike angle – a curve-clustering approach. Gait Posture 2015;41:26–32.",
    "galica2013": "Galica AM, Hagedorn TJ, Dufour AB, et al. Hallux valgus and plantar pressure loading: the Framingham foot study. J Foot Ankle Res 2013;6:42.",
    "hara2022": "Hara S, Kitano M, Kudo S. The effects of short foot exercises to treat flat foot deformity: a systematic review. J Back Musculoskelet Rehabil (doi 10.3233/BMR-210374).",
    "hata2025": "Hata K, Yamazaki Y, Ishikawa M, Yanagiya T. Foot strike pattern detection using a loadsol sensor insole. Sensors 2025;25:4417.",
    "hayes2012": "Hayes P, Caplan N. Foot strike patterns and ground contact times during high-calibre middle-distance races. J Sports Sci 2012;30:1275–1283.",
    "hebertlosier2017": "Hébert-Losier K, Wessman C, Alricsson M, Svantesson U. Updated reliability and normative values for the standing heel-rise test in healthy adults. Physiotherapy 2017;103:446–452.",
    "hertel2002": "Hertel J, Gay MR, Denegar CR. Differences in postural control during single-leg stance among healthy individuals with different foot types. J Athl Train 2002;37:129–132.",
    "hicks1954": "Hicks JH. The mechanics of the foot. II. The plantar aponeurosis and the arch. J Anat 1954;88:25–30.",
    "houck2009": "Houck JR, Neville C, Tome J, Flemister AS. Foot kinematics during a bilateral heel rise test in participants with stage II posterior tibial tendon dysfunction. J Orthop Sports Phys Ther 2009;39:593–603.",
    "leppanen2024": "Leppänen M, Viiala J, Kaikkonen P, et al. Hip and core exercise programme prevents running-related overuse injuries in adult novice recreational runners: a three-arm randomised controlled trial (Run RCT). Br J Sports Med 2024;58:722–732.",
    "lunsford1995": "Lunsford BR, Perry J. The standing heel-rise test for ankle plantar flexion: criterion for normal. Phys Ther 1995;75:694–698.",
    "matias2022": "Matias AB, et al. Effects of foot-core training on foot-ankle kinematics and running kinetics in runners: secondary outcomes from a randomized controlled trial. Front Bioeng Biotechnol 2022;10:890428.",
    "mckeon2008": "McKeon PO, Ingersoll CD, Kerrigan DC, Saliba E, Bennett BC, Hertel J. Balance training improves function and postural control in those with chronic ankle instability. Med Sci Sports Exerc 2008;40:1810–1819.",
    "melvin2014": "Melvin JMA, Preece S, Nester CJ, Howard D. An investigation into plantar pressure measurement protocols for footwear research. Gait Posture 2014;40:682–687.",
    "morin2022": "Morin P, Muller A, Pontonnier C, Dumont G. Evaluation of the foot center of pressure estimation from pressure insoles during sidestep cuts, runs and walks. Sensors 2022;22:5628.",
    "mulligan2013": "Mulligan EP, Cook PG. Effect of plantar intrinsic muscle training on medial longitudinal arch morphology and dynamic function. Man Ther 2013;18:425–430.",
    "nielsen2014": "Nielsen RO, Buist I, Parner ET, et al. Foot pronation is not associated with increased injury risk in novice runners wearing a neutral shoe: a 1-year prospective cohort study. Br J Sports Med 2014;48:440–447.",
    "okamura2020": "Okamura K, Fukuda K, Oki S, Ono T, Tanaka S, Kanai S. Effects of plantar intrinsic foot muscle strengthening exercise on static and dynamic foot kinematics: a pilot randomized controlled single-blind trial in individuals with pes planus. Gait Posture 2020;75:40–45.",
    "perry2010": "Perry J, Burnfield JM. Gait Analysis: Normal and Pathological Function. 2nd ed. SLACK, 2010.",
    "riskowski2012": "Riskowski JL, Hagedorn TJ, Dufour AB, Hannan MT. Functional foot symmetry and its relation to lower extremity physical performance in older adults: the Framingham Foot Study. J Biomech 2012;45:1796–1802.",
    "sadeghi2000": "Sadeghi H, Allard P, Prince F, Labelle H. Symmetry and limb dominance in able-bodied gait: a review. Gait Posture 2000;12:34–45.",
    "song1996": "Song J, Hillstrom HJ, Secord D, Levitt J. Foot type biomechanics: comparison of planus and rectus foot types. J Am Podiatr Med Assoc 1996;86:16–23.",
    "taddei2020": "Taddei UT, Matias AB, Duarte M, Sacco ICN. Foot core training to prevent running-related injuries: a survival analysis of a single-blind, randomized controlled trial. Am J Sports Med 2020;48:3610–3619.",
    "unver2020": "Unver B, Erdem EU, Akbas E. Effects of short-foot exercises on foot posture, pain, disability, and plantar pressure in pes planus. J Sport Rehabil 2020;29:436–440.",
    "zammit2008": "Zammit GV, Menz HB, Munteanu SE, Landorf KB. Plantar pressure distribution in older people with osteoarthritis of the first metatarsophalangeal joint (hallux limitus/rigidus). J Orthop Res 2008;26:1665–1669.",
    "zifchock2008": "Zifchock RA, Davis I, Higginson J, Royer T. The symmetry angle: a novel, robust method of quantifying asymmetry. Gait Posture 2008;27:622–627.",
}


def short_label(ref_id: str) -> str:
    """A short in-text label, e.g. ``"Hicks 1954"`` or ``"Mulligan & Cook 2013"``.

    Examples
    --------
    >>> short_label("mulligan2013")
    'Mulligan & Cook 2013'
    >>> short_label("leppanen2024")
    'Leppänen et al. 2024'
    """
    text = REFERENCES[ref_id]
    authors = text.split(". ", 1)[0]
    year = ref_id[-4:]
    names = [a.strip().split(" ")[0] for a in authors.replace(", et al", "").split(",")]
    if "et al" in authors:
        return f"{names[0]} et al. {year}"
    if len(names) == 1:
        return f"{names[0]} {year}"
    if len(names) == 2:
        return f"{names[0]} & {names[1]} {year}"
    return f"{names[0]} et al. {year}"


__all__ = ["REFERENCES", "short_label"]
