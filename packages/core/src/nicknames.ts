/**
 * Popular US given names of the 1920s. An agent's nickname is picked from this pool by its id, so the
 * same id always gets the same nickname on every machine.
 */
const BOYS = `Robert John James William Charles George Joseph Richard Edward Donald Thomas Frank Harold Paul
Raymond Walter Jack Henry Kenneth Arthur Albert David Harry Ralph Eugene Howard Carl Willie Louis Clarence Earl
Roy Fred Joe Francis Lawrence Herbert Leonard Ernest Alfred Anthony Stanley Norman Gerald Daniel Samuel Bernard
Billy Melvin Marvin Warren Michael Leroy Russell Leo Andrew Edwin Elmer Peter Floyd Lloyd Ray Frederick Theodore
Clifford Vernon Herman Clyde Chester Philip Alvin Lester Wayne Vincent Gordon Leon Lewis Charlie Glenn Calvin
Martin Milton Lee Jesse Dale Cecil Bill Harvey Roger Victor Benjamin Wallace Ervin Edgar Johnnie Sam Allen
Gilbert Everett Oscar Willard Marion Arnold Jerome Morris Virgil Homer Hugh Maurice Sidney Irving Wilbur Horace`
  .split(/\s+/)
  .filter(Boolean);

const GIRLS =
  `Mary Dorothy Helen Betty Margaret Ruth Virginia Doris Mildred Frances Elizabeth Evelyn Anna Marie
Alice Jean Shirley Barbara Irene Marjorie Florence Lillian Rose Louise Catherine Ruby Eleanor Patricia Gloria
Edna Josephine Martha Gladys Thelma Lois Ethel Grace Hazel Juanita Clara Emma Lucille Annie Edith Norma Wanda
Pauline Bernice Esther Jane Kathryn Ann Phyllis Joan Marian Gertrude Beatrice Bertha Elsie Geraldine June Agnes
Julia Audrey Anne Lorraine Eva Ida Willie Viola Vivian Laura Mae Rosemary Ella Pearl Maxine Marion Jessie Sarah
Alma Nellie Minnie Jeanne Georgia Loretta Lucy Sylvia Kathleen Myrtle Hattie Leona Violet Genevieve Vera Mabel
Eileen Rita Stella Geneva Erma Lula Jennie Fannie Harriet Margie Opal Bessie Mattie Dolores Wilma Constance Billie`
    .split(/\s+/)
    .filter(Boolean);

export const NICKNAME_POOL: readonly string[] = [...BOYS, ...GIRLS];

/** The nickname for an agent id: the first two bytes of the UUID index the pool. */
export function nicknameFor(id: string): string {
  const hex = id.replace(/-/g, '').slice(0, 4);
  const index = Number.parseInt(hex, 16);
  return NICKNAME_POOL[(Number.isNaN(index) ? 0 : index) % NICKNAME_POOL.length] ?? 'Agent';
}
